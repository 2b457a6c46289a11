"""The service's business errors: each carries the documented code (enos-batch-api.md §9)."""

from __future__ import annotations

USER_ORG_MISMATCH = 62101
INVALID_PARAMETER = 62102
NO_PRIVILEGE = 62103
DEPENDED_ON = 62104
ACCOUNT_LOCKED = 62105
INTERNAL_ERROR = 62109


class ServiceError(Exception):
    """A business error, answered as HTTP 200 with `{code, msg}` in the envelope."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


def invalid(detail: str) -> ServiceError:
    return ServiceError(INVALID_PARAMETER, f"Incorrect parameter: {detail}")


def no_privilege(detail: str) -> ServiceError:
    return ServiceError(NO_PRIVILEGE, f"User has no privilege. {detail}")


def user_org_mismatch() -> ServiceError:
    return ServiceError(USER_ORG_MISMATCH, "userId does not exist, or it does not match to orgId.")


def account_locked() -> ServiceError:
    return ServiceError(ACCOUNT_LOCKED, "Your account has been locked")
