"""Read-modify-write of several rows with a compare-and-set each (velocity rows, payers' SCA states).

On a store whose ``apply`` checks several conditions atomically (the embedded SQLite store: one transaction, one
fsync) all rows are read with one ``get_many`` and written in one ``apply``; a lost race re-reads and redoes them
all. Elsewhere (Cassandra: one lightweight transaction per apply) each row is its own read and compare-and-set.
Either way ``update`` is applied to the freshest row, so concurrent writers neither lose nor double a change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from crs.domain.errors import Aborted
from crs.domain.ids import new_version
from crs.domain.risk.backoff import backoff
from crs.storage.base import ConditionFailed, Key, NotExists, Put, Record, Store, Table, VersionIs, Write

R = TypeVar("R")
# The stored row (None: none yet) -> (the new value to write, or None for no change; the result for the caller).
Update = Callable[[Key, Record | None], tuple[bytes | None, R]]
ATTEMPTS = 16


def _put(table: Table, key: Key, stored: Record | None, value: bytes) -> Put:
    return Put(table, key, value, new_version(), VersionIs(stored.version) if stored else NotExists())


async def update_rows(store: Store, table: Table, keys: Sequence[Key], update: Update[R], what: str) -> dict[Key, R]:
    if store.atomic_conditions and len(keys) > 1:
        return await _together(store, table, keys, update, what)
    out: dict[Key, R] = {}
    for key in keys:
        out[key] = await _one(store, table, key, update, what)
    return out


async def _one(store: Store, table: Table, key: Key, update: Update[R], what: str) -> R:
    for attempt in range(ATTEMPTS):
        stored = await store.get(table, key)
        value, result = update(key, stored)
        if value is None:
            return result
        try:
            await store.apply([_put(table, key, stored, value)])
            return result
        except ConditionFailed:
            await backoff(attempt)
    raise Aborted(f"{what} kept changing under concurrent writers; retry", "CONCURRENT_MODIFICATION")


async def _together(store: Store, table: Table, keys: Sequence[Key], update: Update[R], what: str) -> dict[Key, R]:
    for attempt in range(ATTEMPTS):
        rows = await store.get_many(table, keys)
        out: dict[Key, R] = {}
        writes: list[Write] = []
        for key, stored in zip(keys, rows, strict=True):
            value, out[key] = update(key, stored)
            if value is not None:
                writes.append(_put(table, key, stored, value))
        if not writes:
            return out
        try:
            await store.apply(writes)
            return out
        except ConditionFailed:
            await backoff(attempt)
    raise Aborted(f"{what} kept changing under concurrent writers; retry", "CONCURRENT_MODIFICATION")
