"""A compact set of the flow targets already met in one input, with the row each came from.

A million-flow export would keep a million strings in a Python dict (about 100 bytes each); this
keeps a 64-bit digest, a row number and a digest of the source key that met it in three numpy
arrays (20 bytes a slot, at most half full),
so memory stays nearly flat as the export grows. Two different targets share a digest with a
probability of about n^2 / 2^65 (3e-8 for a million), which would report a false duplicate,
never hide a real one.
"""

from __future__ import annotations

import hashlib

import numpy as np

EMPTY = np.uint64(0)


def digest(key: str) -> int:
    value = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
    return value or 1  # 0 marks an empty slot


class SeenKeys:
    def __init__(self, capacity: int = 1024) -> None:
        self._keys = np.zeros(capacity, dtype=np.uint64)
        self._rows = np.zeros(capacity, dtype=np.uint32)
        self._owners = np.zeros(capacity, dtype=np.uint64)  # a digest of the source key that met it first
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _slot(self, key_digest: int) -> int:
        mask = len(self._keys) - 1
        slot = key_digest & mask
        keys = self._keys
        while keys[slot] != EMPTY and int(keys[slot]) != key_digest:
            slot = (slot + 1) & mask
        return slot

    def first_row(self, key: str, row: int, owner: str = "") -> int | None:
        """The row `key` was first met at; None (and `row` remembered, with `owner`: the source
        key that meets it) when it is new."""
        key_digest = digest(key)
        slot = self._slot(key_digest)
        if self._keys[slot] != EMPTY:
            return int(self._rows[slot])
        self._keys[slot], self._rows[slot], self._owners[slot] = key_digest, row, digest(owner)
        self._count += 1
        if self._count * 2 > len(self._keys):
            self._grow()
        return None

    def met_by_another(self, key: str, owner: str) -> bool:
        """Whether `key`, already met, was met by another source key than `owner` (two jobs of the
        source that come to one flow name, not one job met twice)."""
        slot = self._slot(digest(key))
        return self._keys[slot] != EMPTY and int(self._owners[slot]) != digest(owner)

    def _grow(self) -> None:
        """Rehash into twice the room, vectorised: no Python object per key, so growing a large
        table costs no more memory than the tables."""
        occupied = self._keys != EMPTY
        pending_keys, pending_rows, pending_owners = self._keys[occupied], self._rows[occupied], self._owners[occupied]
        size = len(self._keys) * 2
        mask = np.uint64(size - 1)
        self._keys = np.zeros(size, dtype=np.uint64)
        self._rows = np.zeros(size, dtype=np.uint32)
        self._owners = np.zeros(size, dtype=np.uint64)
        slots = pending_keys & mask
        while len(pending_keys):
            # Each round places, for every free slot wanted, the first key that wants it; the
            # others probe on to the next slot, as an insert one by one would.
            candidates = np.nonzero(self._keys[slots] == EMPTY)[0]
            _, first = np.unique(slots[candidates], return_index=True)
            chosen = candidates[first]
            self._keys[slots[chosen]] = pending_keys[chosen]
            self._rows[slots[chosen]] = pending_rows[chosen]
            self._owners[slots[chosen]] = pending_owners[chosen]
            left = np.ones(len(pending_keys), dtype=bool)
            left[chosen] = False
            pending_keys, pending_rows, pending_owners = pending_keys[left], pending_rows[left], pending_owners[left]
            slots = (slots[left] + np.uint64(1)) & mask
