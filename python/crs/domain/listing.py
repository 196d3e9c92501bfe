"""Keyset listing over one partition or over a tenant's list buckets (no scans beyond a page)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import TypeVar

from crs.storage.base import Key, Record, Store, Table
from crs.storage.schema import LIST_BUCKETS

T = TypeVar("T")
_SCAN_FACTOR = 8  # a filtered page reads at most this many pages of rows before returning a token


def bucket_of(resource_id: str) -> int:
    return zlib.crc32(resource_id.encode()) % LIST_BUCKETS


async def list_partition(
    store: Store,
    table: Table,
    partition: Key,
    after: Key | None,
    size: int,
    keep: Callable[[Key, Record], T | None],
) -> tuple[list[T], Key | None]:
    """Up to ``size`` kept rows after ``after``; the position to continue from, or None at the end."""
    items: list[T] = []
    budget = size * _SCAN_FACTOR
    position = after
    while budget > 0:
        rows = await store.scan(table, partition, after=position, limit=size + 1)
        for row in rows[:size]:
            position = row.clustering
            budget -= 1
            item = keep(row.clustering, row.record)
            if item is not None:
                items.append(item)
                if len(items) == size:
                    more = len(rows) > size or row is not rows[-1]
                    return items, (position if more else None)
        if len(rows) <= size:
            return items, None
    return items, position


async def list_buckets(
    store: Store,
    table: Table,
    tenant: str,
    position: list[object] | None,
    size: int,
    keep: Callable[[Key, Record], T | None],
) -> tuple[list[T], list[object] | None]:
    """Walks buckets 0..N-1 in order; the position is [bucket, *clustering]."""
    bucket = int(position[0]) if position else 0  # type: ignore[call-overload]
    after: Key | None = tuple(str(p) for p in position[1:]) if position and len(position) > 1 else None
    items: list[T] = []
    while bucket < LIST_BUCKETS:
        got, next_after = await list_partition(store, table, (tenant, bucket), after, size - len(items), keep)
        items += got
        if next_after is not None:
            return items, [bucket, *next_after]
        bucket += 1
        after = None
        if len(items) == size:
            return items, ([bucket] if bucket < LIST_BUCKETS else None)
    return items, None
