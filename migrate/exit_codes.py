"""The exit codes of the contract (README, "Exit codes"), in one light module that every verb can
import without pulling in the engine."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CANNOT_RUN = 1  # nothing was done: bad config, unreachable target, lock held, usage error
EXIT_SOME_FAILED = 2  # the service refused or failed some flows (or a saved plan went stale)
EXIT_CHANGES = 3  # `plan`: flows would be created or updated
EXIT_ABORTED = 4  # the breaker stopped the run
# Finished, nothing failed at the service, but some source rows are invalid: a nightly job can
# alert on 2 (the service) apart from 5 (the export needs fixing).
EXIT_INVALID_ROWS = 5
EXIT_INTERRUPTED = 130  # Ctrl-C, SIGTERM


class CannotRun(Exception):
    """What stops a command before it does anything, or stops it cleanly: its message is the one
    line the user reads (naming the file, row, field or value at fault), and the exit code is 1
    (4 for a subclass saying the service refused the credentials or the account, as a run's
    breaker does). Each module raises its own subclass; the CLI catches them all, without
    importing them."""

    exit_code: int = EXIT_CANNOT_RUN


class TargetUnreachable(CannotRun):
    """The service cannot be reached at all: nothing was sent."""
