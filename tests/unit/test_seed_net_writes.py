"""``crs seed`` into a bulk store (Cassandra): one net write per row, under the condition that refers to the store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from crs.seed import BufferedStore, BulkStore, net_writes
from crs.storage import schema
from crs.storage.base import ConditionFailed, Delete, Key, NotExists, Put, Record, Row, Store, Table, VersionIs, Write

T = schema.customers_by_id


class FakeBulk(Store):
    """Rows in a dict; ``apply_bulk`` records what it was given (and checks NotExists like the real one)."""

    def __init__(self, rows: dict[Key, Record] | None = None) -> None:
        self.rows = dict(rows or {})
        self.bulks: list[list[Write]] = []

    async def get(self, table: Table, key: Key) -> Record | None:
        return self.rows.get(key)

    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]:
        return [self.rows.get(k) for k in keys]

    async def scan(
        self, table: Table, partition: Key, *, after: Key | None = None, before: Key | None = None, limit: int
    ) -> list[Row]:
        return []

    async def apply(self, writes: Sequence[Write]) -> None:
        raise AssertionError("a bulk store is flushed with apply_bulk")

    async def apply_bulk(self, writes: Sequence[Write]) -> None:
        self.bulks.append(list(writes))
        for w in writes:
            if isinstance(w.condition, NotExists) and w.key in self.rows:
                raise ConditionFailed(w, self.rows[w.key])
        for w in writes:
            if isinstance(w, Put):
                self.rows[w.key] = Record(w.value, w.version)
            else:
                self.rows.pop(w.key, None)

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def test_net_write_is_the_last_value_under_the_first_condition() -> None:
    a, b, c, d = ("t", "a"), ("t", "b"), ("t", "c"), ("t", "d")
    net = {
        (T.name, a): (NotExists(), Put(T, a, b"2", "v2", VersionIs("v1"))),  # created, then updated in the batch
        (T.name, b): (VersionIs("s1"), Put(T, b, b"3", "v3", VersionIs("v2"))),  # stored row updated twice
        (T.name, c): (NotExists(), Delete(T, c, VersionIs("v1"))),  # created and deleted again in the batch
        (T.name, d): (None, Delete(T, d)),
    }
    writes, absent = net_writes(net)
    assert writes == [
        Put(T, a, b"2", "v2", NotExists()),
        Put(T, b, b"3", "v3", VersionIs("s1")),
        Delete(T, d, None),
    ]
    assert absent == [Delete(T, c, VersionIs("v1"))]


def test_buffered_store_flushes_net_writes_to_a_bulk_store() -> None:
    inner = FakeBulk({("t", "old"): Record(b"0", "s1")})
    assert isinstance(inner, BulkStore)

    async def run() -> None:
        buffered = BufferedStore(inner)
        await buffered.apply([Put(T, ("t", "new"), b"1", "v1", NotExists())])
        await buffered.apply([Put(T, ("t", "new"), b"2", "v2", VersionIs("v1")), Put(T, ("t", "x"), b"x", "v1")])
        await buffered.apply([Put(T, ("t", "old"), b"1", "s2", VersionIs("s1"))])
        with pytest.raises(ConditionFailed):  # checked when buffered, against stored + buffered rows
            await buffered.apply([Put(T, ("t", "old"), b"9", "s9", VersionIs("s1"))])
        await buffered.flush()
        assert buffered.flushed_writes == 3

    asyncio.run(run())
    assert inner.bulks == [
        [
            Put(T, ("t", "new"), b"2", "v2", NotExists()),
            Put(T, ("t", "x"), b"x", "v1", None),
            Put(T, ("t", "old"), b"1", "s2", VersionIs("s1")),
        ]
    ]
    assert inner.rows[("t", "new")] == Record(b"2", "v2")
