"""One module per verb (`migrate VERB`), terraform-style: each adds its own arguments
(`add_parser`) and does its work (`execute`) over the shared engine. Modules here import only
the standard library at the top, so that `migrate --help` stays quick; the heavy parts are
imported inside `execute`, and named in the module's PRELOAD (or by its `preload(args)`), which
the CLI imports before a signal may interrupt (see cli._Interrupts)."""

from __future__ import annotations

import sys


def fail(message: str) -> int:
    """One line on stderr, secrets redacted; exit code 1 (the tool could not run)."""
    from migrate.redact import redact

    print(f"migrate: {redact(message)}", file=sys.stderr)
    return 1
