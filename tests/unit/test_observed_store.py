"""ObservedStore: the caller's deadline is checked before store work; store metrics by table and op."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from crs.api import metrics
from crs.api.call import DEADLINE, DeadlineExceeded
from crs.api.observed_store import ObservedStore
from crs.storage import schema
from crs.storage.base import NotExists, Put
from crs.storage.embedded import EmbeddedStore
from crs.storage.schema import ALL_TABLES

TABLE = ALL_TABLES[0]
KEY = tuple("k" for _ in TABLE.key_columns)


def _count(op: str) -> float:
    return metrics.STORE_DURATION.labels(table=TABLE.name, op=op)._sum.get()  # type: ignore[attr-defined]


def test_passed_deadline_stops_before_the_store_and_writes_nothing(tmp_path: Path) -> None:
    async def run() -> None:
        store = ObservedStore(EmbeddedStore(tmp_path / "crs.db"))
        token = DEADLINE.set(time.monotonic() - 0.001)
        try:
            with pytest.raises(DeadlineExceeded):
                await store.apply([Put(TABLE, KEY, b"v", "1", NotExists())])
            with pytest.raises(DeadlineExceeded):
                await store.get(TABLE, KEY)
        finally:
            DEADLINE.reset(token)
        assert await store.get(TABLE, KEY) is None  # nothing was written
        token = DEADLINE.set(time.monotonic() + 60)
        try:
            await store.apply([Put(TABLE, KEY, b"v", "1", NotExists())])
        finally:
            DEADLINE.reset(token)
        assert await store.get(TABLE, KEY) is not None
        await store.close()

    asyncio.run(run())


def test_store_errors_are_counted_but_lost_conditions_are_not(tmp_path: Path) -> None:
    async def run() -> None:
        store = ObservedStore(EmbeddedStore(tmp_path / "crs.db"))
        errors = metrics.STORE_ERRORS.labels(table=TABLE.name, op="apply")
        before = errors._value.get()  # type: ignore[attr-defined]
        await store.apply([Put(TABLE, KEY, b"v", "1", NotExists())])
        with pytest.raises(Exception, match="condition failed"):
            await store.apply([Put(TABLE, KEY, b"v", "1", NotExists())])
        assert errors._value.get() == before  # type: ignore[attr-defined]
        await store.close()
        with pytest.raises(Exception, match="closed"):
            await store.apply([Put(TABLE, KEY, b"v", "2")])
        assert errors._value.get() == before + 1  # type: ignore[attr-defined]

    asyncio.run(run())


def test_grouped_reads_are_one_timed_operation_each_and_stop_at_a_passed_deadline(tmp_path: Path) -> None:
    """``get_through``, ``get_each_and_scan`` and ``get_each``: one store operation each in the metrics (labelled
    with the tables they read), checked against the caller's deadline before they start; a failure is counted."""
    index, named = schema.cards_by_token, schema.cards_by_id
    scanned = schema.relationships_by_account

    async def run() -> None:
        store = ObservedStore(EmbeddedStore(tmp_path / "crs.db"))
        through = metrics.STORE_DURATION.labels(table="cards_by_token>cards_by_id", op="get_through")
        grouped = metrics.STORE_DURATION.labels(table="accounts_by_id,relationships_by_account", op="get_each_and_scan")
        each = metrics.STORE_DURATION.labels(table="accounts_by_id,cards_by_id", op="get_each")
        counts = through._sum, grouped._sum, each._sum  # type: ignore[attr-defined]
        before = [c.get() for c in counts]
        reads = [
            (schema.cards_by_id, ("t", "c")),
            (schema.accounts_by_id, ("t", "a")),
            (schema.cards_by_id, ("t", "d")),
        ]
        assert await store.get_each(reads) == [None, None, None]
        assert await store.get_through(index, ("t", "tok"), named, ("t",)) == (None, None)
        assert await store.get_each_and_scan([(schema.accounts_by_id, ("t", "a"))], scanned, ("t", "a"), limit=5) == (
            [None],
            [],
        )
        assert all(c.get() > b for c, b in zip(counts, before, strict=True))
        token = DEADLINE.set(time.monotonic() - 0.001)
        try:
            with pytest.raises(DeadlineExceeded):
                await store.get_through(index, ("t", "tok"), named, ("t",))
            with pytest.raises(DeadlineExceeded):
                await store.get_each_and_scan([], scanned, ("t", "a"), limit=5)
            with pytest.raises(DeadlineExceeded):
                await store.get_each(reads)
        finally:
            DEADLINE.reset(token)
        errors = metrics.STORE_ERRORS.labels(table="accounts_by_id,cards_by_id", op="get_each")
        failed = errors._value.get()  # type: ignore[attr-defined]
        await store.close()
        with pytest.raises(Exception, match="closed"):
            await store.get_each(reads)
        assert errors._value.get() == failed + 1  # type: ignore[attr-defined]

    asyncio.run(run())
