"""The EnOS access-token scheme (enos-batch-api.md §2), shared by the client and the emulator.

Pure functions: the same code signs a request and checks it, so the two sides agree by
construction, and the documented vectors pin both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def token_encryption(app_key: str, timestamp_ms: int, app_secret: str) -> str:
    """The `encryption` of a token request: sha256(appKey + timestamp + appSecret)."""
    return sha256_hex(f"{app_key}{timestamp_ms}{app_secret}".encode())


def _sorted_query(query: Mapping[str, str]) -> bytes:
    """Query parameter names in ASCII order, each followed by its (decoded) value. A client
    signs the same query (Save Flow's) for every flow of a run: that one is sorted once, found
    again by identity and checked against a copy, so a query changed since still signs as it is."""
    known = _SORTED.get(id(query))
    if known is not None and known[0] == query:
        return known[1]
    data = "".join(f"{name}{query[name]}" for name in sorted(query)).encode()
    if len(_SORTED) >= _SORTED_MAX:
        _SORTED.clear()
    _SORTED[id(query)] = (dict(query), data)
    return data


_SORTED: dict[int, tuple[dict[str, str], bytes]] = {}
_SORTED_MAX = 64  # a run's client keeps a handful of queries; the emulator checks many


def params_data(query: Mapping[str, str], body: bytes | None) -> bytes:
    """The sorted query, then the body exactly as sent."""
    return _sorted_query(query) + (body or b"")


def request_signature(access_token: str, query: Mapping[str, str], body: bytes | None,
                      timestamp_ms: int, app_secret: str) -> str:
    """`apim-signature`: sha256(accessToken + paramsData + timestamp + appSecret), lowercase hex."""
    digest = hashlib.sha256(access_token.encode())
    digest.update(_sorted_query(query))
    if body:
        digest.update(body)  # fed as it is: no copy of a large body
    digest.update(f"{timestamp_ms}{app_secret}".encode())
    return digest.hexdigest()
